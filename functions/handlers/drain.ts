/** Lambda entry point of the `drain` step. */
import { lambdaDeps, lambdaMiddlewares } from '../wiring/lambda-deps.js';
import { drainStep } from './steps.js';

export const handler = drainStep(lambdaDeps, ...lambdaMiddlewares());
