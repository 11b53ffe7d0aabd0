/** Lambda entry point of the `publish` step. */
import { lambdaDeps, lambdaMiddlewares } from '../wiring/lambda-deps.js';
import { publishStep } from './steps.js';

export const handler = publishStep(lambdaDeps, ...lambdaMiddlewares());
