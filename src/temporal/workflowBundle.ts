import { PAYLOAD_CONVERTER_PATH } from './codec';

/**
 * Modules that all workflows on a worker share instead of each loading its own copy. The SDK
 * keeps one V8 context per worker and gives every new workflow fresh copies of the bundle's
 * modules, so each child task's first workflow task ran all of ptq's workflow code again. CEL
 * (`when`, `until`, `while`) was most of that work: it builds its registry of functions and
 * operators on load, about 4 of the 5 ms it took to load ptq's modules. `npm run bench -- --only hops`
 * shows the effect. Sharing CEL is safe. A workflow's conditions run in its own `Environment`
 * (core/plan/expr.ts), and CEL keeps no state that one workflow could see of another's: its
 * caches are private fields, and its registry is locked once cloned. The SDK freezes what a shared
 * module exports.
 */
export const PRELOAD_MODULES = ['@marcbachmann/cel-js'];

/**
 * What every bundle of ptq's workflows is made with (tests and benches prebuild one; a worker given
 * `workflowsPath` bundles its own, and the SDK adds the data converter's payload converter): the
 * shared modules, and ptq's payload converter. Its bytes are the SDK's; it is there for speed.
 */
export const BUNDLE_OPTIONS = {
  preloadModules: PRELOAD_MODULES,
  payloadConverterPath: PAYLOAD_CONVERTER_PATH,
};
