/** Lambda entry point of the `record-failure` step. */
import { lambdaDeps, lambdaMiddlewares } from '../wiring/lambda-deps.js';
import { recordFailureStep } from './steps.js';

export const handler = recordFailureStep(lambdaDeps, ...lambdaMiddlewares());
