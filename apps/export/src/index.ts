export { startExportServer, type ExportServer } from './export-app';
export { signMemberToken, verifyMemberToken, durationSeconds, DOWNLOAD_PERMISSION, type Member } from './auth/member-token';
export { runExportProcess } from './export-process';
