import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createActivities } from '../src/activities';
import { dataConverter } from '../src/temporal/codec';
import { startDevServer } from '../src/temporal/devServer';
import { HEARTBEAT_THROTTLE } from '../src/worker';
import { startRun, summaryOf } from '../src/client';
import { Plan } from '../src/core';
import { noop, noopTask } from '../bench/support';

Runtime.install({ logger: new DefaultLogger('ERROR') });
const N = Number(process.argv[2] ?? 50000);
const ms = (e: any) => Number(e.eventTime?.seconds ?? 0) * 1000 + (e.eventTime?.nanos ?? 0) / 1e6;

async function main() {
  process.env.PTQ_DATA_DIR ??= mkdtempSync(join(tmpdir(), 'ptq-gen-data-'));
  const server = await startDevServer({ headless: true, log: () => undefined });
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, dataConverter });
  const taskQueue = `gen-${randomUUID()}`;
  const worker = await Worker.create({
    connection: nativeConnection, taskQueue, workflowsPath: require.resolve('../bench/workflows'), dataConverter,
    activities: createActivities({ userActivities: { noop } }), maxConcurrentActivityTaskExecutions: 500,
    maxHeartbeatThrottleInterval: HEARTBEAT_THROTTLE, defaultHeartbeatThrottleInterval: HEARTBEAT_THROTTLE,
  });
  try {
    await worker.runUntil(async () => {
      const b0 = Date.now();
      const bn = Math.min(N, 10000);
      await client.workflow.execute('bareFanOut', { taskQueue, workflowId: `bare-${randomUUID()}`, args: [bn, 200] });
      const bare = bn / ((Date.now() - b0) / 1000);
      const tasks = Array.from({ length: N }, (_, i) => noopTask(`s${i}`, i % 100 === 99 ? [`s${i - 1}`] : []));
      const plan = Plan.parse({ name: 'gen', maxConcurrency: 200, defaults: { execution: 'auto' }, tasks });
      const t0 = Date.now();
      const handle = await startRun(client, plan, { taskQueue });
      const summary = await summaryOf(handle);
      const secs = (Date.now() - t0) / 1000;
      console.log(`status ${summary.status} ${N} tasks ${secs.toFixed(0)}s ${(N / secs).toFixed(0)}/s bare ${bare.toFixed(0)}/s ratio ${(N / secs / bare).toFixed(2)}`);
      const runs: any[] = [];
      for await (const wf of client.workflow.list({ query: `WorkflowId = '${handle.workflowId}'` })) runs.push(wf);
      runs.sort((a, b) => a.startTime.getTime() - b.startTime.getTime());
      let prevClose = 0;
      for (const wf of runs) {
        const ev = (await client.workflow.getHandle(handle.workflowId, wf.runId).fetchHistory()).events ?? [];
        const wfts = ev.filter((e: any) => e.workflowTaskStartedEventAttributes);
        const wftc = ev.filter((e: any) => e.workflowTaskCompletedEventAttributes);
        const first = ms(wftc[0]) - ms(wfts[0]);
        const lastT = ms(wftc[wftc.length - 1]) - ms(wfts[wfts.length - 1]);
        const start = ms(ev[0]);
        const close = ms(ev[ev.length - 1]);
        const lastSched = ev.filter((e: any) => e.activityTaskScheduledEventAttributes || e.startChildWorkflowExecutionInitiatedEventAttributes).map(ms).pop() ?? start;
        const markers = ev.filter((e: any) => e.markerRecordedEventAttributes).length;
        const sched = ev.filter((e: any) => e.activityTaskScheduledEventAttributes).length;
        console.log(`gen: events ${ev.length} tasks ${sched} gapFromPrev ${prevClose ? (start - prevClose).toFixed(0) : '-'} firstWFTwait ${(ms(wfts[0]) - start).toFixed(0)} firstWFT ${first.toFixed(0)} lastWFT ${lastT.toFixed(0)} drain(lastStart->close) ${(close - lastSched).toFixed(0)} dur ${(close - start).toFixed(0)} markers ${markers}`);
        prevClose = close;
      }
    });
  } finally {
    await connection.close(); await nativeConnection.close(); await server.stop();
  }
}
main().catch((e) => { console.error(e); process.exit(1); });
