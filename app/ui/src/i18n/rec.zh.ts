// Owns the Simplified Chinese strings of the recordings page, its timeline and player; keys equal rec.en.ts (tested).
import type { recEn } from './rec.en';

export const recZh: Record<keyof typeof recEn, string> = {
  'rec.title': '录像',
};
