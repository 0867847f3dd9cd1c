import fc from 'fast-check';
import { defaultPayloadConverter } from '@temporalio/common';
import { payloadConverter } from '../src/temporal/payloadConverter';

/**
 * ptq's payload converter must make exactly the payloads the SDK's made: histories recorded before
 * it replay, and old clients, workers and the Web UI read what it writes.
 */
describe('payload converter (native UTF-8)', () => {
  it('makes the same bytes as the SDK converter and reads them back, for any JSON value and text', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string({ unit: 'binary' }), (value, text) => {
        for (const v of [value, text, { text, value }]) {
          const ours = payloadConverter.toPayload(v);
          const theirs = defaultPayloadConverter.toPayload(v);
          expect(ours).toEqual(theirs);
          expect(payloadConverter.fromPayload(theirs)).toEqual(defaultPayloadConverter.fromPayload(theirs));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('keeps the SDK converter order: undefined, then bytes, then JSON', () => {
    const bytes = new Uint8Array([0, 255, 7]);
    expect(payloadConverter.toPayload(undefined)).toEqual(defaultPayloadConverter.toPayload(undefined));
    expect(payloadConverter.toPayload(bytes)).toEqual(defaultPayloadConverter.toPayload(bytes));
    expect(payloadConverter.fromPayload(payloadConverter.toPayload(bytes))).toEqual(bytes);
    expect(payloadConverter.toPayload({ note: 'é ✓ 🚀' })?.data).toEqual(new TextEncoder().encode('{"note":"é ✓ 🚀"}'));
  });
});
