#!/bin/sh
# Sets up the hand-written site on a sandbox host the classic way: the app's code in /srv/hello (from a tar on
# stdin), a venv with Flask, mod_wsgi from pip in its own venv loaded by a wsgi.load from
# `mod_wsgi-express module-config`, the site file in sites-available, a2enmod + a2ensite, graceful reload.
set -eu
mkdir -p /srv/hello
tar -C /srv/hello -xf -
python3 -m venv /srv/hello/venv
/srv/hello/venv/bin/pip install -q flask==3.1.2
python3 -m venv /opt/wsgi-module
/opt/wsgi-module/bin/pip install -q mod_wsgi==6.1.1
/opt/wsgi-module/bin/mod_wsgi-express module-config >/etc/apache2/mods-available/wsgi.load
mv /srv/hello/hello.conf /etc/apache2/sites-available/hello.conf
a2enmod -q wsgi
a2ensite -q hello
apache2ctl -t
# A new module needs a full restart (a graceful reload would not load it into the running parent).
apache2ctl restart
