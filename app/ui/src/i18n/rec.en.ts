// Owns the English strings of the recordings page, its timeline and player (merged into en.ts).
export const recEn = {
  'rec.title': 'Recordings',
} as const;
