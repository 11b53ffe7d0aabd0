// Worker-thread entry for the build pool. The CLI runs TypeScript through tsx, whose loader
// hooks are per thread, so each worker registers them before loading the task.
import { register } from 'tsx/esm/api';

register();
const { runMonthTask } = await import('./month-task.ts');

export default (task) => runMonthTask(task);
