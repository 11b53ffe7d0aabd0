/** Lambda entry point of the `detect-changes` step. */
import { lambdaDeps, lambdaMiddlewares } from '../wiring/lambda-deps.js';
import { detectChangesStep } from './steps.js';

export const handler = detectChangesStep(lambdaDeps, ...lambdaMiddlewares());
