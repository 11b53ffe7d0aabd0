/** Lambda entry point of the `merge-month` step. */
import { lambdaDeps, lambdaMiddlewares } from '../wiring/lambda-deps.js';
import { mergeMonthStep } from './steps.js';

export const handler = mergeMonthStep(lambdaDeps, ...lambdaMiddlewares());
