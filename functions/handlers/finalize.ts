/** Lambda entry point of the `finalize` step. */
import { lambdaDeps, lambdaMiddlewares } from '../wiring/lambda-deps.js';
import { finalizeStep } from './steps.js';

export const handler = finalizeStep(lambdaDeps, ...lambdaMiddlewares());
