export { projectorOptions, startProjector, type RunningProjector } from './projector-app';
export { runProjectorProcess } from './projector-process';
