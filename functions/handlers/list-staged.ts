/** Lambda entry point of the `list-staged` step. */
import { lambdaDeps, lambdaMiddlewares } from './lambda-deps.js';
import { listStagedStep } from './steps.js';

export const handler = listStagedStep(lambdaDeps, ...lambdaMiddlewares());
