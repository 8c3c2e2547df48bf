/** A resource's `self` (versioned) and `bookmark` (unversioned) links, as Nova's view builders make them. */
export function resourceLinks(baseUrl: string, collection: string, id: string): { rel: string; href: string }[] {
  return [
    { rel: 'self', href: `${baseUrl}/v2.1/${collection}/${id}` },
    { rel: 'bookmark', href: `${baseUrl}/${collection}/${id}` },
  ];
}
