import { Graph as Dagre, layout } from '@dagrejs/dagre';
import type { Graph, GraphTask } from './types';

/** Above this many tasks the graph is drawn as one box per group or level, with counts. */
export const COLLAPSE_ABOVE = 300;
export const NODE_W = 200;
export const NODE_H = 56;
export const MAP_H = 76;

/** A drawn node: one task, or (collapsed) a bucket of tasks of one group or level. */
export interface NodeBox {
  key: string;
  x: number;
  y: number;
  w: number;
  h: number;
  /** The task it draws; absent for a bucket. */
  task?: GraphTask;
  bucket?: { label: string; tasks: string[] };
}

export interface GroupBox {
  name: string;
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Layout {
  width: number;
  height: number;
  collapsed: boolean;
  nodes: NodeBox[];
  edges: Array<{ from: string; to: string; points: Array<{ x: number; y: number }> }>;
  groups: GroupBox[];
  /** The `finally` tasks, in a row of their own under the graph. */
  finals: NodeBox[];
  finalBox: GroupBox | null;
}

const GAP = 24;

/**
 * Lays the plan out once, left to right by dependency (dagre's layered layout), groups as boxes
 * around their tasks. Status never moves a node, so updates do not shift the picture.
 */
export function layoutGraph(graph: Graph): Layout {
  const main = graph.tasks.filter((t) => !t.final);
  const collapsed = main.length > COLLAPSE_ABOVE;
  const g = new Dagre({ compound: true, multigraph: false });
  g.setGraph({ rankdir: 'LR', nodesep: 18, ranksep: 56, marginx: 16, marginy: 30 });
  g.setDefaultEdgeLabel(() => ({}));
  const keyOf = new Map<string, string>();
  const buckets = new Map<string, { label: string; tasks: string[] }>();
  for (const t of main) {
    const key = !collapsed || t.map ? `t:${t.id}` : t.group ? `g:${t.group}` : `l:${t.level}`;
    keyOf.set(t.id, key);
    if (key.startsWith('t:')) {
      g.setNode(key, { width: NODE_W, height: t.map ? MAP_H : NODE_H });
      if (t.group) {
        // A cluster needs a label object of its own: dagre writes the box it computes into it.
        if (!g.hasNode(`group:${t.group}`)) g.setNode(`group:${t.group}`, {});
        g.setParent(key, `group:${t.group}`);
      }
    } else {
      let b = buckets.get(key);
      if (!b) {
        b = { label: t.group ? `group ${t.group}` : `level ${t.level + 1}`, tasks: [] };
        buckets.set(key, b);
        g.setNode(key, { width: NODE_W, height: NODE_H + 12 });
      }
      b.tasks.push(t.id);
    }
  }
  for (const t of main)
    for (const d of t.dependsOn) {
      const from = keyOf.get(d);
      const to = keyOf.get(t.id)!;
      if (from && from !== to) g.setEdge(from, to);
    }
  layout(g);
  const byId = new Map(graph.tasks.map((t) => [t.id, t]));
  const nodes: NodeBox[] = [];
  const groups: GroupBox[] = [];
  for (const key of g.nodes()) {
    const n = g.node(key) as { x: number; y: number; width: number; height: number };
    const box = { x: n.x - n.width / 2, y: n.y - n.height / 2, w: n.width, h: n.height };
    if (key.startsWith('group:')) groups.push({ name: key.slice('group:'.length), ...box });
    else if (key.startsWith('t:')) nodes.push({ key, task: byId.get(key.slice(2)), ...box });
    else nodes.push({ key, bucket: buckets.get(key), ...box });
  }
  const edges = g.edges().map((e) => ({
    from: e.v,
    to: e.w,
    points: (g.edge(e) as { points: Array<{ x: number; y: number }> }).points,
  }));
  const graphSize = g.graph() as { width?: number; height?: number };
  let width = Math.max(graphSize.width ?? 0, NODE_W + 2 * GAP);
  let height = graphSize.height ?? 0;
  const finalTasks = graph.tasks.filter((t) => t.final);
  let finals: NodeBox[] = [];
  let finalBox: GroupBox | null = null;
  if (finalTasks.length) {
    const top = height + GAP + 20;
    const perRow = Math.max(1, Math.floor((width - GAP) / (NODE_W + GAP)));
    finals = finalTasks.map((t, i) => ({
      key: `t:${t.id}`,
      task: t,
      x: GAP + (i % perRow) * (NODE_W + GAP),
      y: top + 8 + Math.floor(i / perRow) * (NODE_H + GAP),
      w: NODE_W,
      h: NODE_H,
    }));
    const rows = Math.ceil(finalTasks.length / perRow);
    finalBox = { name: 'finally', x: GAP / 2, y: top - 12, w: width - GAP, h: rows * (NODE_H + GAP) + 12 };
    height = finalBox.y + finalBox.h + GAP;
    width = Math.max(width, finalBox.w + GAP);
  }
  return { width, height, collapsed, nodes, edges, groups, finals, finalBox };
}
