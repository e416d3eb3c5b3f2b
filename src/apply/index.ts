/**
 * Declarative state for fleets: `loadState(text, file)` parses and validates a desired state
 * (JSON or YAML, schemas/linkstore-state.schema.json), `applyState(ls, state, options)` makes
 * the tree match it and reports `{ changed, changes }`.
 */
export { applyState, ApplyError, type ApplyChange, type ApplyOptions, type ApplyResult } from './run.js';
export { loadState, parseStateText, validateState, type LinkstoreState } from './state.js';
export { renderFileDiff, type FileDiff } from './diff.js';
