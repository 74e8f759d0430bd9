// Owns hash routing: the current route name from location.hash (#/live, #/cameras, ...)
// and a hook that re-renders on hashchange.
import { useEffect, useState } from 'preact/hooks';

export type Route = 'login' | 'live' | 'cameras' | 'settings' | 'notfound';
const ROUTES: Route[] = ['login', 'live', 'cameras', 'settings'];

export function parseHash(hash: string): Route {
  const name = hash.replace(/^#\/?/, '').split(/[/?]/)[0];
  if (name === '') return 'live';
  return (ROUTES as string[]).includes(name) ? (name as Route) : 'notfound';
}

export function navigate(r: Route): void {
  if (parseHash(location.hash) !== r) location.hash = `#/${r}`;
}

export function useRoute(): Route {
  const [route, setRoute] = useState<Route>(() => parseHash(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseHash(location.hash));
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}
