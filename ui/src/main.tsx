/** Ember's single-page UI: the navigation bar and the path-to-page table (Prometheus's page paths). */

import { type ComponentType, render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { AlertsPage } from './pages/alerts_page';
import { GraphPage } from './pages/graph_page';
import { RulesPage } from './pages/rules_page';
import { ServiceDiscoveryPage } from './pages/service_discovery_page';
import { ConfigPage, FlagsPage, StatusPage, TSDBStatusPage } from './pages/status_pages';
import { TargetsPage } from './pages/targets_page';
import './style.css';

const PAGES: Record<string, ComponentType> = {
  '/graph': GraphPage,
  '/alerts': AlertsPage,
  '/rules': RulesPage,
  '/targets': TargetsPage,
  '/service-discovery': ServiceDiscoveryPage,
  '/status': StatusPage,
  '/flags': FlagsPage,
  '/config': ConfigPage,
  '/tsdb-status': TSDBStatusPage,
};

const STATUS_LINKS: [string, string][] = [
  ['/status', 'Runtime & Build Information'],
  ['/tsdb-status', 'TSDB Status'],
  ['/flags', 'Command-Line Flags'],
  ['/config', 'Configuration'],
  ['/rules', 'Rules'],
  ['/targets', 'Targets'],
  ['/service-discovery', 'Service Discovery'],
];

function navigate(event: MouseEvent, path: string, setPath: (p: string) => void) {
  if (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
  event.preventDefault();
  window.history.pushState(null, '', path);
  setPath(path);
}

function App() {
  const [path, setPath] = useState(window.location.pathname);
  const [menuOpen, setMenuOpen] = useState(false);
  useEffect(() => {
    const onPop = () => setPath(window.location.pathname);
    const closeMenu = () => setMenuOpen(false);
    window.addEventListener('popstate', onPop);
    document.addEventListener('click', closeMenu);
    return () => {
      window.removeEventListener('popstate', onPop);
      document.removeEventListener('click', closeMenu);
    };
  }, []);
  const Page = PAGES[path];
  useEffect(() => {
    document.title = `Ember: ${path.slice(1).replace(/-/g, ' ') || 'graph'}`;
  }, [path]);
  const link = (to: string, text: string) => (
    <a href={to} class={path === to ? 'active' : ''} onClick={(e) => navigate(e, to, setPath)}>{text}</a>
  );
  const toggleMenu = (e: MouseEvent) => {
    e.stopPropagation(); // the document's click listener would close it again
    setMenuOpen(!menuOpen);
  };
  return (
    <>
      <nav class="navbar">
        <a class="brand" href="/graph" onClick={(e) => navigate(e, '/graph', setPath)}>Ember</a>
        {link('/alerts', 'Alerts')}
        {link('/graph', 'Graph')}
        <div class={menuOpen ? 'dropdown open' : 'dropdown'}>
          <span role="button" class={STATUS_LINKS.some(([to]) => to === path) ? 'active' : ''} onClick={toggleMenu}>
            Status ▾
          </span>
          <div class="dropdown-menu">{STATUS_LINKS.map(([to, text]) => <div key={to}>{link(to, text)}</div>)}</div>
        </div>
      </nav>
      <main class="container">
        {Page ? <Page key={path} /> : <div class="alert error">No page at {path}.</div>}
      </main>
    </>
  );
}

render(<App />, document.getElementById('root')!);
