import { Plan } from '../src/core';
import { Scheduler } from '../src/core/schedule/scheduler';
const tasks = Array.from({ length: 50000 }, (_, i) => ({ id: `s${i}`, dependsOn: i % 100 === 99 ? [`s${i - 1}`] : [], run: { type: 'activity', name: 'noop', input: { id: `s${i}` } } }));
const plan = Plan.parse({ name: 'x', maxConcurrency: 200, defaults: { execution: 'auto' }, tasks });
const pj = JSON.stringify(plan);
console.log('plan chars', pj.length, 'task0', JSON.stringify(plan.tasks[0]));
let t = Date.now(); JSON.parse(pj); console.log('parse ms', Date.now() - t);
t = Date.now(); const s = Scheduler.create(plan, { maxConcurrency: 200 } as any); console.log('create ms', Date.now() - t);
const sj = JSON.stringify(s.state); console.log('state chars', sj.length);
t = Date.now(); Scheduler.restore(plan, JSON.parse(sj), undefined); console.log('restore ms', Date.now() - t);
import { buildGraph } from '../src/core/schedule/graph';
for (let k = 0; k < 3; k++) {
  let t1 = Date.now(); JSON.parse(pj); const a = Date.now() - t1;
  t1 = Date.now(); buildGraph(plan); const b = Date.now() - t1;
  t1 = Date.now(); Scheduler.restore(plan, JSON.parse(sj), undefined); const c = Date.now() - t1;
  console.log('round', k, 'parse plan', a, 'buildGraph', b, 'restore(+parse state)', c);
}
