// Deploy Python WSGI applications on Apache httpd with mod_wsgi, on Linux servers reached over SSH.
package modwsgi
