export { projectEventsFile, type EventsFileOptions, type FileDeadLetter } from './file-source';
