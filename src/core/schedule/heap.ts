/**
 * A binary min-heap stored in a plain array, so it serializes as JSON with the rest of the
 * scheduler state. The key function is passed on each call rather than stored, for the same reason.
 */
export type Key = (item: number) => number;

/** Adds an item in O(log n). */
export function heapPush(heap: number[], item: number, key: Key): void {
  heap.push(item);
  siftUp(heap, heap.length - 1, key);
}

/** Removes and returns the item with the smallest key in O(log n). */
export function heapPop(heap: number[], key: Key): number | undefined {
  if (heap.length === 0) return undefined;
  const top = heap[0];
  const last = heap.pop() as number;
  if (heap.length > 0) {
    heap[0] = last;
    siftDown(heap, 0, key);
  }
  return top;
}

/** Removes an arbitrary item in O(n); used only when a caller starts a task out of order. */
export function heapRemove(heap: number[], item: number, key: Key): boolean {
  const i = heap.indexOf(item);
  if (i < 0) return false;
  const last = heap.pop() as number;
  if (i < heap.length) {
    heap[i] = last;
    siftDown(heap, i, key);
    siftUp(heap, i, key);
  }
  return true;
}

function siftUp(heap: number[], start: number, key: Key): void {
  let i = start;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (key(heap[parent]) <= key(heap[i])) return;
    [heap[parent], heap[i]] = [heap[i], heap[parent]];
    i = parent;
  }
}

function siftDown(heap: number[], start: number, key: Key): void {
  let i = start;
  for (;;) {
    const l = 2 * i + 1;
    const r = l + 1;
    let smallest = i;
    if (l < heap.length && key(heap[l]) < key(heap[smallest])) smallest = l;
    if (r < heap.length && key(heap[r]) < key(heap[smallest])) smallest = r;
    if (smallest === i) return;
    [heap[smallest], heap[i]] = [heap[i], heap[smallest]];
    i = smallest;
  }
}
