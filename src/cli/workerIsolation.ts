import { containment, describeContainment } from '../activities/steps/containment';
import { holdWorkerSecrets } from '../workerSecrets';

/**
 * What `ptq worker` and `ptq dev` do before anything else starts: move the worker's secrets out of
 * its environment (workerSecrets.ts), so no process it starts inherits them, and choose how steps
 * are contained (containment.ts). Both are said on stderr, as the worker's first lines.
 */
export function isolateWorker(log: (line: string) => void): void {
  const { held, wipeFailure } = holdWorkerSecrets();
  log(describeContainment(containment()));
  if (wipeFailure)
    log(
      `warning: /proc/${process.pid}/environ still shows the ${held.length} variables the worker holds (${wipeFailure}); steps in process groups can read them`,
    );
  else if (held.length) log(`worker environment: ${held.length} variables held in memory, out of reach of steps`);
}
