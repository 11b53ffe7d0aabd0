import { setup } from './global-temp.mjs';

export default setup;
