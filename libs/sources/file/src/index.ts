export { projectEventsFile, type EventsFileOptions, type FileDeadLetter } from './file-source';
export { type FileProjectionStats, byteLines, isBlank, projectNdjsonFile } from './ndjson-file.source';
