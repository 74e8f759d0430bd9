// Owns the English strings of the camera view page (live, PTZ, imaging, snapshot) and the camera form's test connection (merged into en.ts).
export const camEn = {
  'camview.title': 'Camera',
} as const;
