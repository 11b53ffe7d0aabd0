/** Lambda entry point of the `build-month` step. */
import { lambdaDeps, lambdaMiddlewares } from '../wiring/lambda-deps.js';
import { buildMonthStep } from './steps.js';

export const handler = buildMonthStep(lambdaDeps, ...lambdaMiddlewares());
