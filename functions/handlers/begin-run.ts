/** Lambda entry point of the `begin-run` step. */
import { lambdaDeps, lambdaMiddlewares } from '../wiring/lambda-deps.js';
import { beginRunStep } from './steps.js';

export const handler = beginRunStep(lambdaDeps, ...lambdaMiddlewares());
