-- One database per store, owned by the switchboard role (deploy/compose.yml).
CREATE DATABASE tracker;
CREATE DATABASE channels;
CREATE DATABASE events;
CREATE DATABASE backend;
CREATE DATABASE assistant;
CREATE DATABASE desk;
CREATE DATABASE memory;
CREATE DATABASE analytics;
CREATE DATABASE outreach;
