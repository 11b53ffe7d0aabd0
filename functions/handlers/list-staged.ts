/** Lambda entry point of the `list-staged` step. */
import { lambdaDeps, lambdaMiddlewares } from '../wiring/lambda-deps.js';
import { listStagedStep } from './steps.js';

export const handler = listStagedStep(lambdaDeps, ...lambdaMiddlewares());
