export { startExportServer, type ExportServer } from './export-app';
export { signMemberToken, verifyMemberToken, durationSeconds, DOWNLOAD_PERMISSION, PERMISSIONS, type Member } from './auth/member-token';
export { runExportProcess } from './export-process';
