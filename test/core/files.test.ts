import fc from 'fast-check';
import { fileOverlaps, filesProblem, taskResources } from '../../src/core/plan/files';
import { quadraticFileLocks, quadraticOverlaps } from '../../bench/filesQuadratic';

/**
 * The pattern index finds the same file mutexes, in the same order, and the same overlapping
 * pairs as the quadratic computation it replaced (a run's parking order depends on that order, so
 * old histories replay the same), on patterns made of the awkward parts: `./`, `..`, `//`, `!`,
 * braces, classes, extglobs, globstars.
 */
describe('files overlap index', () => {
  const segment = fc.constantFrom(
    'src',
    'a',
    'b',
    '.',
    '..',
    '',
    '*',
    '**',
    'x.ts',
    '*.ts',
    '{a,b}',
    '[ab]',
    'a?',
    '@(a|b)',
    '!(a)',
  );
  const pattern = fc
    .tuple(
      fc.constantFrom('', './', '/', '!'),
      fc.array(segment, { minLength: 1, maxLength: 4 }),
      fc.constantFrom('', '/'),
    )
    .map(([pre, parts, post]) => pre + parts.join('/') + post);
  const tasks = fc
    .array(fc.array(pattern, { maxLength: 3 }), { maxLength: 8 })
    .map((files) => files.map((f, i) => ({ id: `t${i}`, files: f.length ? f : undefined })));

  it('gives the quadratic computation’s mutexes and pairs on 3,000 generated plans', () => {
    fc.assert(
      fc.property(tasks, (list) => {
        expect(taskResources({ tasks: list } as never)).toEqual(quadraticFileLocks({ tasks: list }));
        expect(fileOverlaps({ tasks: list } as never).pairs).toEqual(quadraticOverlaps({ tasks: list }));
      }),
      { numRuns: 3_000, seed: 3 },
    );
  });

  it('lists at most the pairs asked for, and refuses plans whose patterns would cost too much', () => {
    const shared = Array.from({ length: 100 }, (_, i) => ({ id: `t${i}`, files: ['src/**'] }));
    expect(fileOverlaps({ tasks: shared } as never, 10)).toMatchObject({ more: true, pairs: { length: 10 } });
    expect(filesProblem({ tasks: shared } as never)).toBeUndefined();
    // Every task holds every other's path through its own root glob: 2,000 x 2,000 mutexes.
    const tangled = Array.from({ length: 2_000 }, (_, i) => ({ id: `t${i}`, files: [`**/m${i}.ts`, `src/m${i}.ts`] }));
    expect(filesProblem({ tasks: tangled } as never)).toMatch(
      /^files: comparing the patterns takes over 1000000 checks/,
    );
    const wide = Array.from({ length: 1_000 }, (_, i) => ({ id: `t${i}`, files: ['src/**', `src/m${i}.ts`] }));
    expect(filesProblem({ tasks: wide } as never)).toMatch(
      /^files: the overlapping patterns make 1001000 file mutexes, over 200000/,
    );
  });
});
