import { render } from 'preact'
import { useState } from 'preact/hooks'
import { LocationProvider, Router, Route, useLocation } from 'preact-iso'
import 'uplot/dist/uPlot.min.css'
import './console.css'
import { loadSession, session, signIn, signOut } from './api.js'
import { Overview } from './pages/overview.js'
import { Registry, RegistryObject } from './pages/registry.js'
import { CheckpointPage, ResultPage, SuitePage, Validation } from './pages/validation.js'
import { PipelinePage, Pipelines, RunPage } from './pages/pipelines.js'
import { ModelPage, Models, ModelVersionPage } from './pages/models.js'
import { FeatureViewLineage, LineagePage } from './pages/lineage.js'

/** The console's pages: every page has a URL of its own (these prefixes are served the shell by src/api/console-routes.ts). */
const NAV = [
  ['/', 'Overview'], ['/registry', 'Feature registry'], ['/validation', 'Validation'], ['/pipelines', 'Pipelines'], ['/models', 'Models'],
] as const

function Nav() {
  const { path } = useLocation()
  const s = session.value
  return (
    <header class="top">
      <a class="brand" href="/">asof</a>
      <nav>
        {NAV.map(([href, label]) => (
          <a href={href} class={(href === '/' ? path === '/' : path.startsWith(href)) ? 'active' : ''}>{label}</a>
        ))}
        <a href="/docs" target="_blank" rel="noopener">API docs</a>
      </nav>
      <span class="who">
        {s ? (s.open ? <span title="no API keys exist on this server">open server</span> : <span>key {s.key_name || s.key_id} ({s.scope})</span>) : null}
        {s && !s.open ? <button class="link" onClick={signOut}>sign out</button> : null}
      </span>
    </header>
  )
}

/** With API keys configured, nothing shows until the user gives a key the server accepts. */
function SignIn() {
  const [key, setKey] = useState('')
  const [error, setError] = useState<string>()
  const submit = async (e: Event) => {
    e.preventDefault()
    setError(await signIn(key.trim()))
  }
  return (
    <form class="signin" onSubmit={submit}>
      <h1>asof console</h1>
      <p>This server requires an API key. A read key shows every page; a write key can also trigger runs and move aliases.</p>
      <label>API key <input type="password" name="key" autoComplete="off" value={key} onInput={(e) => setKey((e.target as HTMLInputElement).value)} /></label>
      <button type="submit" disabled={!key.trim()}>Sign in</button>
      {error ? <p class="error" role="alert">{error}</p> : null}
      <p class="muted">The key is kept in this tab's session storage only.</p>
    </form>
  )
}

function NotFound() {
  return <section><h1>Not found</h1><p>No console page at this address. <a href="/">Overview</a></p></section>
}

function App() {
  const s = session.value
  if (s === undefined) return <p class="muted">Loading…</p>
  if (s === null) return <SignIn />
  return (
    <LocationProvider>
      <Nav />
      <main>
        <Router>
          <Route path="/" component={Overview} />
          <Route path="/registry" component={Registry} />
          <Route path="/registry/:kind" component={Registry} />
          <Route path="/registry/:kind/:name" component={RegistryObject} />
          <Route path="/validation" component={Validation} />
          <Route path="/validation/checkpoints/:name" component={CheckpointPage} />
          <Route path="/validation/results/:id" component={ResultPage} />
          <Route path="/validation/suites/:name" component={SuitePage} />
          <Route path="/pipelines" component={Pipelines} />
          <Route path="/pipelines/:name" component={PipelinePage} />
          <Route path="/runs/:id" component={RunPage} />
          <Route path="/models" component={Models} />
          <Route path="/models/:name" component={ModelPage} />
          <Route path="/models/:name/versions/:version" component={ModelVersionPage} />
          <Route path="/lineage/models/:name/:version" component={LineagePage} />
          <Route path="/lineage/feature-views/:name/:version" component={FeatureViewLineage} />
          <Route default component={NotFound} />
        </Router>
      </main>
    </LocationProvider>
  )
}

render(<App />, document.getElementById('app')!)
loadSession().catch((e: Error) => {
  document.getElementById('app')!.textContent = `The console could not reach the API: ${e.message}`
})
