import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { dataConverter } from '../src/temporal/codec';

Runtime.install({ logger: new DefaultLogger('WARN') }); // worker state changes are noise; nondeterminism is a WARN
const dir = join(__dirname, 'fixtures/histories');
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

/**
 * Histories recorded by earlier versions (test/support/recordHistories.ts) must replay on the
 * current workflow code: runs that were in flight during a deploy keep going. A change that breaks
 * this needs `patched()` or a new workflow type.
 */
describe('replay of recorded histories', () => {
  it('has histories of every earlier version to replay', () => {
    expect(files.filter((f) => f.startsWith('v1-'))).toHaveLength(5);
  });

  it.each(files)('%s replays without nondeterminism', async (file) => {
    const { workflowId, history } = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    await expect(
      Worker.runReplayHistory(
        { workflowBundle: { codePath: process.env.PTQ_TEST_WORKFLOW_BUNDLE as string }, dataConverter },
        history,
        workflowId,
      ),
    ).resolves.toBeUndefined();
  });
});
