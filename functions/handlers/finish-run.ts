/** Lambda entry point of the `finish-run` step. */
import { lambdaDeps, lambdaMiddlewares } from '../wiring/lambda-deps.js';
import { finishRunStep } from './steps.js';

export const handler = finishRunStep(lambdaDeps, ...lambdaMiddlewares());
