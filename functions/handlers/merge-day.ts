/** Lambda entry point of the `merge-day` step. */
import { lambdaDeps, lambdaMiddlewares } from './lambda-deps.js';
import { mergeDayStep } from './steps.js';

export const handler = mergeDayStep(lambdaDeps, ...lambdaMiddlewares());
