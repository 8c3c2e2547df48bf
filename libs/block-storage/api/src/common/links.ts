/** Cinder's `links` of a resource: the versioned `self` and the unversioned `bookmark`. */
export function resourceLinks(projectUrl: string, collection: string, id: string) {
  return [
    { rel: 'self', href: `${projectUrl}/${collection}/${id}` },
    { rel: 'bookmark', href: `${projectUrl.replace('/v3/', '/')}/${collection}/${id}` },
  ];
}
