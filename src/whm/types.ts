/**
 * The public facade's types, derived from the function table so they cannot drift from it: the
 * union of function names, each function's parameters (required ones required, unknown keys a
 * compile error) and the `data` its envelope carries.
 */
import type { WHM_FUNCTIONS } from './functions.js';

type Table = (typeof WHM_FUNCTIONS)[number];

/** Every function name `callWhm` answers. */
export type WhmFunctionName = Table['name'];

/** The functions `callUapi` answers (the table's `api: 'uapi'` rows). */
export type UapiFunctionName = Extract<Table, { api: 'uapi' }>['name'];

type FunctionOf<N extends WhmFunctionName> = Extract<Table, { name: N }>;
type ParamOf<N extends WhmFunctionName> = FunctionOf<N>['params'][number];

/** The flat string parameters of function `N`. */
export type WhmParamsOf<N extends WhmFunctionName> = {
  readonly [P in ParamOf<N> as P extends { required: true } ? P['name'] : never]: string;
} & {
  readonly [P in ParamOf<N> as P extends { required: true } ? never : P['name']]?: string;
};

/** What `data` holds in a successful envelope of function `N`. */
export type WhmDataOf<N extends WhmFunctionName> = Awaited<ReturnType<FunctionOf<N>['run']>>;
