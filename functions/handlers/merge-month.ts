/** Lambda entry point of the `merge-month` step. */
import { lambdaDeps, lambdaMiddlewares } from './lambda-deps.js';
import { mergeMonthStep } from './steps.js';

export const handler = mergeMonthStep(lambdaDeps, ...lambdaMiddlewares());
