import { containment, describeContainment } from '../activities/steps/containment';
import { holdWorkerSecrets } from '../workerSecrets';

/**
 * What `ptq worker` and `ptq dev` do before anything else starts: move the worker's secrets out of
 * its environment (workerSecrets.ts), so no process it starts inherits them, and choose how steps
 * are contained (containment.ts). Returns the one line that says both, for the command to print
 * once its worker is up (a command that fails before that says only why).
 */
export function isolateWorker(): string {
  const { held, wipeFailure } = holdWorkerSecrets();
  const contained = describeContainment(containment());
  if (wipeFailure)
    return `${contained}; warning: /proc/${process.pid}/environ still shows the ${held.length} variables the worker holds (${wipeFailure}); steps in process groups can read them`;
  return held.length
    ? `${contained}; worker environment: ${held.length} variables held in memory, out of reach of steps`
    : contained;
}
