import { teardown } from './global-temp.mjs';

export default teardown;
