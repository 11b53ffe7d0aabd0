/** Lambda entry point of the `build-day` step. */
import { lambdaDeps, lambdaMiddlewares } from './lambda-deps.js';
import { buildDayStep } from './steps.js';

export const handler = buildDayStep(lambdaDeps, ...lambdaMiddlewares());
