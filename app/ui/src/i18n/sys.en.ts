// Owns the English strings of the archives, storage and stats, system pages, and the settings additions (password, backups, features) (merged into en.ts).
export const sysEn = {
  'archives.title': 'Archives',
  'storage.title': 'Storage and statistics',
  'system.title': 'System',
} as const;
