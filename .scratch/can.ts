import { Plan } from '../src/core';
import { Scheduler } from '../src/core/schedule/scheduler';
import { dataConverter } from '../src/temporal/codec';
import { defaultPayloadConverter } from '@temporalio/common';
import { gzipSync } from 'node:zlib';
const tasks = Array.from({ length: 50000 }, (_, i) => ({ id: `s${i}`, dependsOn: i % 100 === 99 ? [`s${i - 1}`] : [], run: { type: 'activity', name: 'noop', input: { id: `s${i}` } } }));
const plan = Plan.parse({ name: 'x', maxConcurrency: 200, defaults: { execution: 'auto' }, tasks });
const s = Scheduler.create(plan, { maxConcurrency: 200 } as any);
const next = { plan, resume: { state: s.state, startedAt: 0, generation: 1 } };
const codec = (dataConverter as any).payloadCodecs[0];
async function main() {
  for (let k = 0; k < 3; k++) {
    let t = Date.now(); const json = JSON.stringify(next); const a = Date.now() - t;
    t = Date.now(); const p = defaultPayloadConverter.toPayload(json); const [e] = await codec.encode([p]); const b = Date.now() - t;
    t = Date.now(); const [d] = await codec.decode([e]); JSON.parse(JSON.parse(Buffer.from(d.data).toString())); gzipSync(json); const c = Date.now() - t;
    t = Date.now(); const p2 = defaultPayloadConverter.toPayload(next); const [e2] = await codec.encode([p2]); const dd = Date.now() - t;
    t = Date.now(); const [d2] = await codec.decode([e2]); JSON.parse(Buffer.from(d2.data).toString()); const f = Date.now() - t;
    const pj = JSON.stringify(plan).length, sj = JSON.stringify(s.state).length;
    console.log(`stringify ${a}ms, LA input encode ${b}ms, LA side decode+gzip ${c}ms, CAN encode ${dd}ms (${e2.data.length} B gz), next gen decode ${f}ms; plan ${pj} state ${sj} chars`);
  }
}
main();
