export * from './case.state';
export { evolve, completeDue, completionDueAt, mergeProfile } from './case.evolve';
export * from './case.fields';
export * from './case.record';
export * from './user.evolve';
export * from './project-batch';
