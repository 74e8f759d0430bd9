// Unit tests for i18n: en and zh-CN must have exactly the same keys, no empty strings, the
// same {placeholders}; t() substitutes variables and marks missing keys visibly.
import { describe, expect, it } from 'vitest';
import { en } from './en';
import { zh } from './zh';
import { setLang, t, type Key } from './index';

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('i18n key sets', () => {
  it('en and zh have identical key sets', () => {
    const a = Object.keys(en).sort();
    const b = Object.keys(zh).sort();
    expect(b.filter((k) => !a.includes(k))).toEqual([]);
    expect(a.filter((k) => !b.includes(k))).toEqual([]);
    expect(b).toEqual(a);
  });
  it('no translation is empty and placeholders match', () => {
    for (const k of Object.keys(en) as Key[]) {
      expect(en[k].trim(), k).not.toBe('');
      expect(zh[k].trim(), k).not.toBe('');
      expect(placeholders(zh[k]), k).toEqual(placeholders(en[k]));
    }
  });
  it('zh strings are actually Chinese where en has words', () => {
    const cjk = /[\u4e00-\u9fff]/;
    const untranslated = (Object.keys(en) as Key[]).filter((k) => k !== 'app.title' && !cjk.test(zh[k]));
    expect(untranslated).toEqual([]);
  });
});

describe('t()', () => {
  it('switches language and substitutes variables', () => {
    setLang('en');
    expect(t('live.layoutN', { n: 4 })).toBe('4 per screen');
    setLang('zh-CN');
    expect(t('live.layoutN', { n: 4 })).toBe('每屏 4 路');
    expect(t('nav.live')).toBe('实时画面');
    setLang('en');
  });
  it('marks a missing key visibly', () => {
    expect(t('no.such.key' as Key)).toBe('⟦no.such.key⟧');
  });
});
