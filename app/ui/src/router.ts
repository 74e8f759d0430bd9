// Owns hash routing: the current route name from location.hash (#/live, #/camera/<id>, ...),
// the route's arguments (the path segments after the name), and a hook that re-renders on
// hashchange.
import { useEffect, useState } from 'preact/hooks';

export type Route =
  | 'login'
  | 'live'
  | 'cameras'
  | 'camera'
  | 'recordings'
  | 'archives'
  | 'storage'
  | 'settings'
  | 'system'
  | 'notfound';
const ROUTES: Route[] = ['login', 'live', 'cameras', 'camera', 'recordings', 'archives', 'storage', 'settings', 'system'];

function segments(hash: string): string[] {
  return hash
    .replace(/^#\/?/, '')
    .split('?')[0]
    .split('/')
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
}

export function parseHash(hash: string): Route {
  const name = segments(hash)[0];
  if (name === '') return 'live';
  return (ROUTES as string[]).includes(name) ? (name as Route) : 'notfound';
}

/** The segments after the route name: `#/camera/cam%201` → `['cam 1']`. */
export function routeArgs(hash: string = location.hash): string[] {
  return segments(hash).slice(1).filter((s) => s !== '');
}

/** The `?a=b` query of the hash route, e.g. `#/recordings?camera=x&day=2026-11-26`. */
export function routeQuery(hash: string = location.hash): URLSearchParams {
  const i = hash.indexOf('?');
  return new URLSearchParams(i < 0 ? '' : hash.slice(i + 1));
}

export function navigate(r: Route, ...args: string[]): void {
  const target = `#/${[r, ...args.map(encodeURIComponent)].join('/')}`;
  if (location.hash !== target) location.hash = target;
}

/** Re-renders on every hash change; returns the route name and the full hash. */
export function useHash(): { route: Route; hash: string } {
  const [hash, setHash] = useState<string>(() => location.hash);
  useEffect(() => {
    const on = () => setHash(location.hash);
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return { route: parseHash(hash), hash };
}

export function useRoute(): Route {
  return useHash().route;
}
