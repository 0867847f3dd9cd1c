import { LIVE_TAIL_CHARS, LineBuffer, notYetPrinted, OutputLog, unseen } from '../../src/core';

describe('live output', () => {
  it('reports a bounded tail and how much was written, so a follower prints each character once', () => {
    const log = new OutputLog();
    log.push('a'.repeat(LIVE_TAIL_CHARS));
    log.push('bc');
    const live = log.snapshot('t');
    expect(live.offset).toBe(LIVE_TAIL_CHARS + 2);
    expect(live.tail).toHaveLength(LIVE_TAIL_CHARS);
    expect(unseen(live, LIVE_TAIL_CHARS)).toBe('bc');
    expect(unseen(live, live.offset)).toBe('');
    // Printed nothing yet and more than the tail was written: the tail is all there is.
    expect(unseen(live, 0)).toBe(live.tail);
  });

  it('prints whole lines only, keeping the unfinished one for later', () => {
    const b = new LineBuffer();
    expect(b.push('one\ntw')).toEqual(['one']);
    expect(b.push('o\n')).toEqual(['two']);
    expect(b.push('three')).toEqual([]);
    expect(b.flush()).toEqual(['three']);
  });

  it('prints of a final output only the lines not seen live, however stdout and stderr interleaved', () => {
    const final = 'a\nb\nb\nc\n\n[stderr]\nwarn\nlast\n';
    expect(notYetPrinted(final, ['a', 'warn', 'b'])).toEqual(['b', 'c', 'last']);
    expect(notYetPrinted(final, [])).toEqual(['a', 'b', 'b', 'c', 'warn', 'last']);
    expect(notYetPrinted('only out\n', ['only out'])).toEqual([]);
  });
});
