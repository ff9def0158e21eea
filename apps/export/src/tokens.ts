/** Injection tokens: this workspace compiles without decorator metadata, so every injection is explicit. */
export const CONFIG = Symbol('CONFIG');
export const DATA_SOURCE = Symbol('DATA_SOURCE');
export const AUDIT = Symbol('AUDIT');
export const JOBS = Symbol('JOBS');
export const WORKER = Symbol('WORKER');
export const LOG = Symbol('LOG');
export const MEMBER_LIMIT = Symbol('MEMBER_LIMIT');
export const DASHBOARD = Symbol('DASHBOARD');
