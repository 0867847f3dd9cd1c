import { validatePlan } from '../../src/core';
import { detectFormat, importTasks, toPlan, type Imported } from '../../src/importers';

/** Small task lists written for these tests, with the mess real files have. */
const byId = (imported: Imported) => Object.fromEntries(imported.tasks.map((t) => [t.id, t]));
const deps = (imported: Imported) => Object.fromEntries(imported.tasks.map((t) => [t.id, t.dependsOn]));

describe('TaskMaster tasks.json', () => {
  const tagged = {
    master: {
      tasks: [
        { id: 1, title: 'Setup', status: 'done', dependencies: [] },
        {
          id: '2',
          title: 'API',
          description: 'Build it with {{handlebars}}',
          details: 'Use express',
          testStrategy: 'curl it',
          status: 'pending',
          priority: 'high',
          dependencies: [1],
          subtasks: [
            { id: 1, title: 'Routes', dependencies: [], details: null },
            { id: '2.2', title: 'Handlers', dependencies: [1] },
            { id: 2.3, title: 'Float id', dependencies: ['2.2', 7] },
          ],
        },
        {
          id: 3,
          title: 'Dupes',
          dependencies: ['2', 99],
          subtasks: [
            { id: 3, title: 'a' },
            { id: 3, title: 'b' },
          ],
        },
      ],
    },
    other: { tasks: [{ id: 1, title: 'Elsewhere', dependencies: [16] }] },
  };

  it('reads the tagged form: subtasks become tasks, the parent waits for them, done tasks are left out', () => {
    const imported = importTasks('taskmaster', '', tagged);
    expect(imported.done).toBe(1);
    expect(deps(imported)).toEqual({
      '2': ['2.1', '2.2', '2.3'],
      '2.1': [],
      '2.2': ['2.1'], // bare 1 under task 2 is its sibling 2.1
      '2.3': ['2.2'],
      '3': ['2', '3.3', '3.3-2'],
      '3.3': ['2'],
      '3.3-2': ['2'],
    });
    expect(byId(imported)['2'].join).toBe(true);
    expect(byId(imported)['2'].priority).toBe(2);
    expect(imported.warnings).toEqual([
      'task 3: subtask id 3 is used more than once; the repeats become 3.3-2, -3, …',
      'subtask 2.3 depends on 7, which is not in this list: dropped',
      'task 3 depends on 99, which is not in this list: dropped',
      'left out 1 task marked done (--include-done keeps them); the tasks after them still wait for what came before',
    ]);
    const plan = validatePlan(toPlan(imported, { agent: 'claude' }));
    expect(plan.ok).toBe(true);
    // Text that looks like a template stays text.
    expect(byId(imported)['2'].description).toBe('Build it with { {handlebars} }');
    // Where each came from, as written, for --sync-status: repeated subtask ids by position.
    expect(imported.tag).toBe('master');
    expect(Object.fromEntries(imported.tasks.map((t) => [t.id, t.origin]))).toEqual({
      '2': { task: '2' },
      '2.1': { task: '2', subtask: '1' },
      '2.2': { task: '2', subtask: '2.2' },
      '2.3': { task: '2', subtask: '2.3' },
      '3': { task: '3' },
      '3.3': { task: '3', subtask: '3' },
      '3.3-2': { task: '3', subtask: '3', nth: 2 },
    });
  });

  it('keeps done tasks with includeDone, picks a tag, and reads the legacy form', () => {
    expect(importTasks('taskmaster', '', tagged, { includeDone: true }).tasks.map((t) => t.id)).toContain('1');
    const other = importTasks('taskmaster', '', tagged, { tag: 'other' });
    expect(other.warnings).toEqual(['task 1 depends on 16, which is not in this list: dropped']);
    expect(() => importTasks('taskmaster', '', tagged, { tag: 'nope' })).toThrow(
      'no tag "nope": pick one with --tag (master, other)',
    );
    const legacy = importTasks('taskmaster', '', { tasks: [{ id: 'rust-models', title: 'Models', dependencies: [] }] });
    expect(legacy.tasks.map((t) => t.id)).toEqual(['rust-models']);
    expect(detectFormat('tasks.json', '', tagged)).toBe('taskmaster');
    expect(
      detectFormat('plan.json', '', { tasks: [{ id: 'a', run: { type: 'sleep', duration: 1 } }] }),
    ).toBeUndefined();
  });

  it('a done task passes its order on, subtasks too', () => {
    const chain = {
      tasks: [
        { id: 1, title: 'a', dependencies: [] },
        { id: 2, title: 'b', status: 'done', dependencies: [1] },
        { id: 3, title: 'c', dependencies: [2] },
        {
          id: 4,
          title: 'd',
          dependencies: [3],
          subtasks: [
            { id: 1, title: 'd1', dependencies: [] },
            { id: 2, title: 'd2', status: 'done', dependencies: [1] },
            { id: 3, title: 'd3', dependencies: [2] },
          ],
        },
      ],
    };
    expect(deps(importTasks('taskmaster', '', chain))).toEqual({
      '1': [],
      '3': ['1'],
      '4': ['3', '4.1', '4.3'],
      '4.1': ['3'],
      '4.3': ['3', '4.1'],
    });
  });

  it('a real cycle is a validate error naming the original ids', () => {
    const cyclic = {
      tasks: [
        {
          id: 12,
          title: 'x',
          subtasks: [
            { id: 1, title: 'a', dependencies: [4] },
            { id: 4, title: 'b', dependencies: [1] },
          ],
        },
      ],
    };
    const result = validatePlan(toPlan(importTasks('taskmaster', '', cyclic), { agent: 'codex' }));
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error.join()).toMatch(/dependency cycle: 12\.(1|4) -> 12\.(4|1) -> 12\.(1|4)/);
  });
});

describe('spec-kit tasks.md', () => {
  const md = [
    '# Tasks: demo',
    '```',
    '- [ ] T999 not a task: inside a fence',
    '```',
    '## Phase 1: Setup',
    '- [x] T001 Create project',
    '- [ ] T002 [P] Lint config in .eslintrc.json',
    '- [ ] T003 [P] [US1] Models in src/models/user.ts',
    '## Phase 2',
    '- [ ] T004 Service in src/services/user.ts',
    '      - Dependency: T002–T003',
    '- [ ] T004.1 [P] Extra test in tests/user.test.ts',
    '- [ ] T005 Verify T004-T004.1 pass',
    '- T006 prose, not a task',
  ].join('\n');

  it('follows phases, [P] blocks, Dependency lines with ranges, dotted ids and prose references', () => {
    expect(detectFormat('tasks.md', md)).toBe('speckit');
    const imported = importTasks('speckit', md, undefined);
    expect(deps(imported)).toEqual({
      T002: [], // T001 is done: what waited for it starts at once
      T003: [],
      T004: ['T002', 'T003'],
      'T004.1': ['T004'],
      T005: ['T004.1', 'T004'], // the block before it, and T004 named in its text
    });
    expect(byId(imported).T003).toMatchObject({
      title: 'Models in src/models/user.ts (US1)',
      files: ['src/models/user.ts'],
    });
    expect(imported.done).toBe(1);
  });

  it('a done task passes its order on: a later phase still waits for the one before it', () => {
    const phases = [
      '## Phase 1',
      '- [ ] T001 First',
      '- [x] T002 Done already',
      '## Phase 2',
      '- [ ] T003 [P] Left',
      '- [X] T004 [P] Done too',
      '- [ ] T005 Joins the block',
      '- [x] T006 Done at the end',
      '- [ ] T007 Last',
    ].join('\n');
    const imported = importTasks('speckit', phases, undefined);
    expect(deps(imported)).toEqual({
      T001: [],
      T003: ['T001'], // through T002
      T005: ['T003', 'T001'], // the block [T003, T004]; T004 passes on what it waited for
      T007: ['T005'], // through T006
    });
    expect(imported.warnings).toEqual([
      'left out 3 tasks marked done (--include-done keeps them); the tasks after them still wait for what came before',
    ]);
    expect(importTasks('speckit', phases, undefined, { includeDone: true }).warnings).toEqual([]);
  });
});

describe('[P:Group-X] markdown lists', () => {
  const md = [
    '- [ ] 1.0 Foundation',
    '  - [ ] 1.1 Schema [Files: db/schema.sql]',
    '  - [ ] 1.2 [P:Group-A] Users table [Files: db/users.sql]',
    '  - [ ] 1.3 [P:Group-A] Orders table',
    '- [ ] 2.0 [P:Group-B] API',
    '- [ ] 3.0 [P:Group-B] CLI',
    'Task 4 wire it up (after Task 2.0)',
  ].join('\n');

  it('runs a group side by side after what came before, and parents complete when their subtasks do', () => {
    const imported = importTasks('markdown', md, undefined);
    expect(deps(imported)).toEqual({
      '1.0': ['1.1', '1.2', '1.3'],
      '1.1': [],
      '1.2': ['1.1'],
      '1.3': ['1.1'],
      '2.0': ['1.0'],
      '3.0': ['1.0'],
      '4': ['2.0', '3.0'],
    });
    expect(byId(imported)['1.0'].join).toBe(true);
    expect(byId(imported)['1.1'].files).toEqual(['db/schema.sql']);
    const plan = toPlan(imported, {
      template: { type: 'shell', command: ['echo', '{{import.id}}: {{import.title}}'] },
    });
    expect(validatePlan(plan).ok).toBe(true);
    expect(plan.tasks.find((t) => t.id === '1.2')?.run).toEqual({
      type: 'shell',
      command: ['echo', '1.2: Users table'],
    });
    // A task's text inside the code of sh -c would run as code: such a step template is refused.
    expect(() =>
      toPlan(imported, { template: [{ type: 'shell', command: ['bash', '-lc', 'make "{{import.title}}"'] }] }),
    ).toThrow(
      "the step template puts {{import.title}} inside the code of bash -lc, where the task's text would be parsed as code: " +
        'pass it in env ("env": {"TITLE": "{{import.title}}"}) and write "$TITLE" in the code',
    );
  });
});
